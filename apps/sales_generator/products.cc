// The smoothie-bar product catalogue (shared/data/products.csv), compiled in so
// the generator needs no data file at run time.
#include "apps/sales_generator/sales_model.h"

namespace brook::demo {

const std::vector<Product>& products() {
  static const std::vector<Product> kProducts = {
      {"CS01", "Classic Smoothies", "Sunrise Sunset", "24 oz.", 150, 499, 75, true, false, false,
       false, 3, 3},
      {"CS02", "Classic Smoothies", "Kiwi Quencher", "24 oz.", 150, 499, 75, true, false, false,
       false, 3, 6},
      {"CS03", "Classic Smoothies", "Paradise Point", "24 oz.", 150, 499, 75, true, false, false,
       false, 9, 15},
      {"CS04", "Classic Smoothies", "Sunny Day", "24 oz.", 150, 499, 75, true, false, false, false,
       3, 18},
      {"CS05", "Classic Smoothies", "Mango Magic", "24 oz.", 150, 499, 75, true, false, false,
       false, 9, 27},
      {"CS06", "Classic Smoothies", "Blimey Limey", "24 oz.", 150, 499, 75, true, false, false,
       false, 9, 36},
      {"CS07", "Classic Smoothies", "Blueberry Bliss", "24 oz.", 150, 499, 75, true, false, false,
       false, 3, 39},
      {"CS08", "Classic Smoothies", "Rockin’ Raspberry", "24 oz.", 150, 499, 75, true, false, false,
       false, 15, 54},
      {"CS09", "Classic Smoothies", "Strawberry Limeade", "24 oz.", 150, 499, 75, true, false,
       false, false, 12, 66},
      {"CS10", "Classic Smoothies", "Peaches ‘n Silk", "24 oz.", 150, 499, 75, true, false, false,
       false, 9, 75},
      {"CS11", "Classic Smoothies", "Jetty Punch", "24 oz.", 150, 499, 75, true, false, false,
       false, 3, 78},
      {"SF01", "Superfoods Smoothies", "Island Green", "24 oz.", 210, 599, 50, true, true, false,
       false, 4, 82},
      {"SF02", "Superfoods Smoothies", "Totally Green", "24 oz.", 210, 599, 50, true, true, false,
       false, 2, 84},
      {"SF03", "Superfoods Smoothies", "Acai Berry Boost", "24 oz.", 210, 599, 50, true, false,
       false, false, 8, 92},
      {"SF04", "Superfoods Smoothies", "Pomegranate Plunge", "24 oz.", 210, 599, 50, true, false,
       false, false, 2, 94},
      {"SF05", "Superfoods Smoothies", "Caribbean C-Burst", "24 oz.", 210, 599, 50, true, false,
       false, false, 10, 104},
      {"SF06", "Superfoods Smoothies", "Get Up and Goji", "24 oz.", 210, 599, 50, true, true, false,
       false, 8, 112},
      {"SF07", "Superfoods Smoothies", "Detox Island Green", "24 oz.", 210, 599, 50, true, true,
       false, false, 10, 122},
      {"SC01", "Supercharged Smoothies", "Triple Berry Oat", "24 oz.", 270, 599, 35, true, false,
       false, false, 15, 137},
      {"SC02", "Supercharged Smoothies", "Peanut Paradise", "24 oz.", 270, 599, 35, false, false,
       false, false, 3, 140},
      {"SC03", "Supercharged Smoothies", "Health Nut", "24 oz.", 270, 599, 35, false, false, true,
       false, 3, 143},
      {"SC04", "Supercharged Smoothies", "Lean Machine", "24 oz.", 270, 599, 35, false, true, true,
       true, 9, 152},
      {"SC05", "Supercharged Smoothies", "Muscle Blaster", "24 oz.", 270, 599, 35, false, false,
       true, true, 12, 164},
      {"IS01", "Indulgent Smoothies", "Bahama Mama", "24 oz.", 220, 549, 60, true, false, false,
       false, 4, 168},
      {"IS02", "Indulgent Smoothies", "Peanut Butter Cup", "24 oz.", 220, 549, 60, false, false,
       true, false, 12, 180},
      {"IS03", "Indulgent Smoothies", "Beach Bum", "24 oz.", 220, 549, 60, true, true, false, false,
       12, 192},
      {"IS04", "Indulgent Smoothies", "Mocha Madness", "24 oz.", 220, 549, 60, false, false, true,
       true, 8, 200},
  };
  return kProducts;
}

}  // namespace brook::demo
